import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

# Imported after setup: the handler's module reads settings. Same as get_wsgi_application(),
# with a request class that cannot fail while it is being built (see config/middleware.py).
from config.middleware import StudyhallWSGIHandler  # noqa: E402

application = StudyhallWSGIHandler()
