from flask.cli import AppGroup

people_cli = AppGroup("people", help="The HR roster.")
sites_cli = AppGroup("sites", help="Frontline sites.")
blackouts_cli = AppGroup("blackouts", help="Periods without shifts.")
