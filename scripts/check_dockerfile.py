"""Checks the Dockerfile without a container runtime (scripts/check-deploy runs it).

- It is parsed by BuildKit's own parser (PyPI `dockerfile`): a syntax error fails.
- Every file the build copies from the context exists and is not excluded by .dockerignore
  (docker's own matcher, from the `docker` package that docker-compose brings).
- The image runs as a non-root user, has a health check and an entry point, and copies from
  the build stage exactly what `scripts/release` builds.
- It prints the run stage as JSON (environment, user, command, health check, what it copies
  from the build), which check-deploy then rehearses on this machine: Debian 12, as the image.

With `--rehearse`, it then starts what the image would run: the built server and site laid out
as the image lays them out, with the image's environment and nothing else, as an unprivileged
user, and runs the image's health check against it.
"""

import json
import os
import re
import shlex
import sys

import dockerfile
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from docker.utils.build import exclude_paths

INSTRUCTIONS = {
    "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK", "LABEL",
    "ONBUILD", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR", "RUN",
}
# What debian:bookworm-slim has of the libraries a Rust binary links to.
SLIM_LIBRARIES = {
    "linux-vdso.so.1", "libc.so.6", "libm.so.6", "libgcc_s.so.1", "libpthread.so.0",
    "libdl.so.2", "librt.so.1", "ld-linux-x86-64.so.2", "libz.so.1",
}


def fail(message):
    print(f"Dockerfile: {message}", file=sys.stderr)
    sys.exit(1)


def main(root):
    try:
        commands = dockerfile.parse_file(os.path.join(root, "Dockerfile"))
    except dockerfile.GoParseError as e:
        fail(f"does not parse: {e}")

    stages = []
    for c in commands:
        if c.cmd not in INSTRUCTIONS:
            fail(f"{c.original!r}: unknown instruction")
        if c.cmd == "FROM":
            name = c.value[2] if len(c.value) == 3 and c.value[1].upper() == "AS" else None
            stages.append({"image": c.value[0], "name": name, "commands": []})
        elif not stages:
            if c.cmd != "ARG":
                fail(f"{c.original!r} comes before the first FROM")
        else:
            stages[-1]["commands"].append(c)
    if len(stages) < 2:
        fail("expected a build stage and a run stage")

    with open(os.path.join(root, ".dockerignore")) as f:
        patterns = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    in_context = exclude_paths(root, patterns)

    build, run = stages[0], stages[-1]
    workdir = "/"
    for c in build["commands"]:
        if c.cmd == "WORKDIR":
            workdir = c.value[0]
        if c.cmd in ("COPY", "ADD") and not any(f.startswith("--from") for f in c.flags):
            for source in c.value[:-1]:
                if source == ".":
                    continue
                if source not in in_context:
                    fail(f"{c.original!r}: {source} is not in the build context")
        if c.cmd == "RUN" and c.value[0].startswith("scripts/"):
            script = c.value[0].split()[0]
            if script not in in_context or not os.access(os.path.join(root, script), os.X_OK):
                fail(f"{c.original!r}: {script} is not an executable in the build context")

    with open(os.path.join(root, "scripts/release")) as f:
        release = f.read()

    env, copies, user, entrypoint, cmd, health = {}, [], None, None, None, None
    for c in run["commands"]:
        if c.cmd == "ENV":
            pairs = c.value
            env.update(dict(zip(pairs[0::2], pairs[1::2])))
        elif c.cmd == "COPY":
            origin = [f.split("=", 1)[1] for f in c.flags if f.startswith("--from=")]
            if origin != [build["name"]]:
                fail(f"{c.original!r}: the run stage copies only from the build stage")
            source, target = c.value
            if not source.startswith(workdir.rstrip("/") + "/"):
                fail(f"{c.original!r}: {source} is outside the build's WORKDIR {workdir}")
            built = os.path.relpath(source, workdir)
            if built not in release:
                fail(f"{c.original!r}: scripts/release does not build {built}")
            copies.append({"built": built, "to": target})
        elif c.cmd == "USER":
            user = c.value[0]
        elif c.cmd == "ENTRYPOINT":
            entrypoint = list(c.value) if c.json else shlex.split(c.value[0])
        elif c.cmd == "CMD":
            cmd = list(c.value) if c.json else shlex.split(c.value[0])
        elif c.cmd == "HEALTHCHECK":
            if c.value[0] != "CMD":
                fail("HEALTHCHECK must run a command")
            health = c.value[1]
    if user in (None, "root", "0") or user.startswith("0:"):
        fail("the image must run as a non-root user (USER)")
    if entrypoint is None:
        fail("the run stage has no ENTRYPOINT")
    if health is None:
        fail("the run stage has no HEALTHCHECK")
    return {
        "build_image": build["image"],
        "run_image": run["image"],
        "user": user,
        "env": env,
        "copies": copies,
        "command": entrypoint + (cmd or []),
        "health": health,
    }


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def built_as(root, built):
    """Where `built` (a path under target/release) is on this machine: the release build's,
    or the debug build's if that is newer (a debug site was built with it)."""
    candidates = [built]
    if built.startswith("target/release/"):
        candidates.append("target/debug/" + built[len("target/release/"):])
    found = [os.path.join(root, c) for c in candidates if os.path.exists(os.path.join(root, c))]
    if not found:
        fail(f"rehearsal: {built} is not built (scripts/release)")
    return max(found, key=os.path.getmtime)


def rehearse(root, image):
    """Runs the image's command as the image would, here; fails unless its health check passes,
    its page and client files load, and it logs JSON."""
    built = {copy["to"]: built_as(root, copy["built"]) for copy in image["copies"]}
    binary = built[image["command"][0]]
    ldd = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if ldd.returncode != 0:
        fail(f"rehearsal: ldd {binary}: {ldd.stderr.strip()}")
    for line in ldd.stdout.splitlines():
        name = os.path.basename(line.split()[0])
        if name not in SLIM_LIBRARIES:
            fail(f"rehearsal: the server links to {name}, which {image['run_image']} lacks")

    box = tempfile.mkdtemp(prefix="namaskah-image-")
    server = None
    try:
        os.chmod(box, 0o755)

        def inside(path):
            return re.sub(r"(?<![\w.])/app(?=/|$)", box + "/app", path)

        for to, path in built.items():
            os.makedirs(os.path.dirname(inside(to)), exist_ok=True)
            if os.path.isdir(path):
                shutil.copytree(path, inside(to))
                # scripts/release puts the client files' hashes into the site; a debug build
                # leaves them beside the binary.
                beside = os.path.join(os.path.dirname(binary), "hash.txt")
                if not os.path.exists(os.path.join(inside(to), "hash.txt")) and os.path.exists(
                    beside
                ):
                    shutil.copy2(beside, os.path.join(inside(to), "hash.txt"))
            else:
                shutil.copy2(path, inside(to))
        port = free_port()
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        for key, value in image["env"].items():
            env[key] = inside(value).replace("0.0.0.0:3000", f"127.0.0.1:{port}")
        database = env.get("DATABASE_URL", "")
        data = os.path.dirname(database.split("://", 1)[1]) if database.startswith("sqlite") else None
        if data:
            os.makedirs(data, exist_ok=True)
        command = [inside(image["command"][0])] + image["command"][1:]
        os.chmod(command[0], 0o755)
        as_user = "this user"
        if os.geteuid() == 0:
            # The image's user: not root, no supplementary groups, only its data directory
            # writable.
            if data:
                shutil.chown(data, "nobody", "nogroup")
            command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + command
            as_user = "nobody"
        log = tempfile.TemporaryFile()
        server = subprocess.Popen(command, env=env, cwd=inside("/app"), stdout=log, stderr=log)
        health = image["health"].replace("127.0.0.1:3000", f"127.0.0.1:{port}")
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                log.seek(0)
                fail(f"rehearsal: the server exited ({server.returncode}):\n{log.read().decode()}")
            if subprocess.run(["sh", "-c", health], capture_output=True).returncode == 0:
                break
            if time.monotonic() > deadline:
                fail("rehearsal: the health check never passed")
            time.sleep(0.5)
        # The site is where the image's environment says: the page and its client load.
        base = f"http://127.0.0.1:{port}"
        page = urllib.request.urlopen(base + "/", timeout=10).read().decode()
        assets = re.findall(r'(?:href|src)="(/pkg/[^"]+)"', page)
        if not assets:
            fail("rehearsal: the home page names no /pkg/ asset")
        for asset in assets:
            try:
                urllib.request.urlopen(base + asset, timeout=10).read()
            except urllib.error.HTTPError as e:
                fail(f"rehearsal: {asset} answers {e.code}")
        log.seek(0)
        first = log.readline().decode()
        try:
            json.loads(first)
        except ValueError:
            fail(f"rehearsal: with LOG_FORMAT=json the first log line is not JSON: {first!r}")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(box, ignore_errors=True)
    print(
        f"rehearsal: {' '.join(image['command'])} as {as_user}: healthy, and the page and its "
        f"{len(assets)} client files load"
    )


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    repo = args[0] if args else "."
    described = main(repo)
    if "--rehearse" in sys.argv:
        rehearse(repo, described)
    else:
        json.dump(described, sys.stdout)
        print()
