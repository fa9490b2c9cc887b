# The production image: gunicorn for the web, `manage.py rqworker swaps` for the workers (one image).
# Not built in CI (no container engine runs there): make prod-smoke runs the same processes directly.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# The complete pinned set, without resolving (see the Makefile: it leaves out a GUI OpenCV build).
COPY requirements.txt .
RUN pip install --no-deps -r requirements.txt

COPY . .
# Hashed, compressed static files, served by whitenoise. collectstatic only runs the staticfiles checks,
# so no production secret is needed at build time.
RUN DEBUG=False STATIC_MANIFEST=True python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 faceswap && chown -R faceswap /app
USER faceswap
EXPOSE 8000
CMD ["gunicorn", "-c", "gunicorn.conf.py", "faceswap_site.wsgi"]
