# Stand-in for postgres:15: Debian's PostgreSQL 15 on Debian bookworm (debootstrap minbase), run as
# `postgres` with the data in PGDATA=/var/lib/postgresql/data. postgres-entrypoint.sh creates the
# cluster on the first start from POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB, as the official
# image does for what deploy/docker-compose.yml sets.
ARG BASE
FROM ${BASE}
# No cluster at install time (the entrypoint makes one in PGDATA), and no service started by apt.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-common \
 && sed -ri 's/#(create_main_cluster) .*$/\1 = false/' /etc/postgresql-common/createcluster.conf \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/run/postgresql /var/lib/postgresql/data \
 && chown postgres:postgres /var/run/postgresql /var/lib/postgresql/data \
 && chmod 2777 /var/run/postgresql \
 && chmod 700 /var/lib/postgresql/data
ENV PATH=/usr/lib/postgresql/15/bin:$PATH \
    PGDATA=/var/lib/postgresql/data
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
USER postgres
# SIGINT is PostgreSQL's fast shutdown: sessions are ended, and the stop fits in a grace period.
STOPSIGNAL SIGINT
EXPOSE 5432
ENTRYPOINT ["postgres-entrypoint.sh"]
CMD ["postgres"]
