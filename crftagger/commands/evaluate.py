"""``crftagger evaluate``."""


def register(sub):
    p = sub.add_parser("evaluate", help="(not available yet)")
    p.set_defaults(func=lambda args: print("evaluate: not available yet") or 2)
