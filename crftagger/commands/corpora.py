"""``crftagger corpora``."""


def register(sub):
    p = sub.add_parser("corpora", help="(not available yet)")
    p.set_defaults(func=lambda args: print("corpora: not available yet") or 2)
