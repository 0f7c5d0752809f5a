"""Demo log-ins: one account for each role, and the chief executive."""
from rotation.accounts.roles import ADMIN, HR, MANAGER, OWNER

DEMO_PASSWORD = "frontline-demo"

# (email, display name, roles)
DEMO_ACCOUNTS = [
    ("hr@example.com", "Hanna Virtanen (HR)", [HR]),
    ("manager@example.com", "Maria Jansen", [MANAGER]),
    ("owner@example.com", "Olli Laine", [OWNER]),
    ("admin@example.com", "Ada Admin", [ADMIN]),
    ("ceo@example.com", "Carla Esposito", [MANAGER, OWNER]),
]
