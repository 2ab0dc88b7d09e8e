# The Studyhall image: one image for web (gunicorn), Celery worker, Celery beat and migrate.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --system --create-home --home-dir /home/studyhall --uid 10001 studyhall
WORKDIR /app

# Dependencies first, from pyproject.toml alone (the project itself installs no packages),
# so that a code change does not reinstall them.
COPY pyproject.toml ./
RUN pip install .

# Only what runs: no .venv, local database, .env or test artifacts end up in the image
# even without a .dockerignore.
COPY manage.py ./
COPY config ./config
COPY courses ./courses
COPY lessons ./lessons
COPY quizzes ./quizzes
COPY accounts ./accounts
COPY mastery ./mastery
COPY search ./search
COPY templates ./templates
COPY static ./static
COPY demo ./demo

# Static files are collected at build time into the manifest storage WhiteNoise serves
# (DEBUG=false selects CompressedManifestStaticFilesStorage); the key is a build-only throwaway.
RUN DEBUG=false SECRET_KEY=build-only-not-used-at-runtime ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
 && mkdir -p /var/lib/celery \
 && chown studyhall /var/lib/celery

USER studyhall
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
