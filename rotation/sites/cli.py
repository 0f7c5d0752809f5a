from flask.cli import AppGroup

slots_cli = AppGroup("slots", help="Bookable shifts at the sites.")
