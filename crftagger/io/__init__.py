"""Model I/O: the safe ``.crftagger`` container (``container``) and CRFsuite model import (``crfsuite``)."""
