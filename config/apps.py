from django.contrib.admin.apps import AdminConfig


class StudyhallAdminConfig(AdminConfig):
    """django.contrib.admin with the site from config/admin.py (`admin.site` everywhere is that site)."""

    default_site = "config.admin.StudyhallAdminSite"
