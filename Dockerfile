# seatmgr: one image for the web (gunicorn), worker and beat services.
# Build: docker build -t seatmgr .   (pin the base further with --build-arg PYTHON_IMAGE=python:3.11-slim@sha256:...)
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Runtime dependencies only: the [project] dependencies of pyproject.toml, installed with
# requirements.lock as a constraints file, so every package (transitive ones included) comes at
# the version the lock pins, while the dev tools of the lock (pytest, playwright, ruff, uv, ...)
# stay out of the image. The check after the install fails the build if any installed package is
# missing from the lock or differs from its pin (pyproject.toml changed without re-locking).
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; deps = tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']; open('/tmp/requirements.runtime.txt', 'w').write('\n'.join(deps) + '\n')" \
 && pip install -r /tmp/requirements.runtime.txt -c requirements.lock \
 && pip check \
 && python -c "import importlib.metadata as md, re, sys; norm = lambda n: re.sub(r'[-_.]+', '-', n).lower(); lock = dict((norm(l.split('==')[0]), l.split('==')[1].split(';')[0].strip()) for l in open('requirements.lock') if '==' in l and not l.startswith(('#', ' '))); bad = sorted(f'{d.name}=={d.version}' for d in md.distributions() if norm(d.name) not in {'pip', 'setuptools', 'wheel'} and lock.get(norm(d.name)) != d.version); sys.exit('installed but not pinned by requirements.lock: ' + ', '.join(bad)) if bad else None" \
 && rm /tmp/requirements.runtime.txt

COPY . .

# Static files are collected into var/staticfiles at build time (WhiteNoise serves them with a
# manifest); the key only lets the settings load and is never used at run time (it is a published
# key, so system checks, which refuse it with DEBUG off, are skipped for this one build step). The app user owns
# only var/ (SQLite file of the embedded default) and its home (gunicorn's control socket).
RUN chmod 0755 docker/entrypoint.sh \
 && SECRET_KEY=collectstatic-build-time-dummy-key-not-used-at-run-time python manage.py collectstatic --noinput --skip-checks \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /home/seatmgr --shell /usr/sbin/nologin seatmgr \
 && mkdir -p var \
 && chown seatmgr:seatmgr var

USER seatmgr

EXPOSE 8000

ENTRYPOINT ["/app/docker/entrypoint.sh"]
# docker/gunicorn.conf.py: threaded workers (2 processes x 4 threads by default; WEB_CONCURRENCY,
# GUNICORN_THREADS), keep-alive, the access log on stdout.
CMD ["gunicorn", "--config", "docker/gunicorn.conf.py", "seatmgr.wsgi:application"]
