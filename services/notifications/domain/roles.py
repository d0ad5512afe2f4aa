"""Roles in a municipality that notifications can be addressed to ("the EU-projects coordinator
of municipality 15"); resolved to the people holding them when the notification is made."""

ROLES = {
    "eu_projects_coordinator": ("ES projektų koordinatorius", "EU-projects coordinator"),
    "training_coordinator": ("Mokymų koordinatorius", "Training coordinator"),
    "administration_director": ("Administracijos direktorius", "Director of administration"),
    "mayor": ("Meras", "Mayor"),
    "hr_specialist": ("Personalo specialistas", "HR specialist"),
    "finance_officer": ("Finansų specialistas", "Finance officer"),
}
