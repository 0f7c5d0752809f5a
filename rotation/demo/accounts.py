"""Demo log-ins: one account for each role, and the chief executive."""
from rotation.roles import ADMIN, HR, MANAGER, OWNER

DEMO_PASSWORD = "frontline-demo"

# (email, display name, roles). Each is a person in the demo roster too, and in the rotation, so each
# signs in as a manager as well and has a shift to try today.
DEMO_ACCOUNTS = [
    ("hr@example.com", "Henna Salo", [HR]),
    ("manager@example.com", "Maria Jansen", [MANAGER]),
    ("owner@example.com", "Olli Laine", [OWNER]),
    ("admin@example.com", "Ada Lindqvist", [ADMIN]),
    ("ceo@example.com", "Carla Esposito", [MANAGER, OWNER]),
]
