"""Slot filling with intents: a slot CRF and an intent classifier in one model.

::

    from crftagger.slots import SlotFiller

    filler = SlotFiller.train("atis")
    filler("flights from boston to denver on monday").to_dict()
    # {"intent": ..., "intent_confidence": ..., "slots": [{"slot", "value", "start", "end",
    #  "confidence"}, ...]}

:mod:`crftagger.slots.data` reads intents (ATIS / SNIPS ``raw/*/label``, a
user's ``# intent = NAME`` file), :mod:`crftagger.slots.intent` is the intent
classifier and :mod:`crftagger.slots.filler` the :class:`SlotFiller`.
"""

from .data import align, intents_file, load_split, read_intent_conll, read_intents, read_user_file
from .filler import (
    Slot,
    SlotEvaluation,
    SlotFiller,
    SlotResult,
    frame_accuracy,
    frame_correct,
    is_slot_filler,
)
from .intent import IntentClassifier, delexicalise, intent_feature_set

__all__ = [
    "IntentClassifier",
    "Slot",
    "SlotEvaluation",
    "SlotFiller",
    "SlotResult",
    "align",
    "delexicalise",
    "frame_accuracy",
    "frame_correct",
    "intent_feature_set",
    "intents_file",
    "is_slot_filler",
    "load_split",
    "read_intent_conll",
    "read_intents",
    "read_user_file",
]
