"""``crftagger convert``."""


def register(sub):
    p = sub.add_parser("convert", help="(not available yet)")
    p.set_defaults(func=lambda args: print("convert: not available yet") or 2)
