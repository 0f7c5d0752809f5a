"""The roles an account can hold. One account may hold several."""

HR = "hr"
MANAGER = "manager"
OWNER = "owner"
ADMIN = "admin"

ROLES = (HR, MANAGER, OWNER, ADMIN)

LABELS = {
    HR: "HR",
    MANAGER: "Manager",
    OWNER: "Process owner",
    ADMIN: "Administrator",
}
