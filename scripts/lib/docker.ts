/**
 * The project's cluster nodes as Docker containers, through the Docker Engine API (dockerode):
 * host networking (the same loopback addresses), each node's folder bind-mounted at the same path
 * (the same config, certificates, users and data), one container per node, removed when it stops.
 *
 * With no image given, one is built from this machine's own redis-server and the libraries it
 * links (no registry is needed): FROM scratch, the binary, its libraries and the loader.
 */
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Docker from 'dockerode';

const run = promisify(execFile);

/** Starts one node; resolves with the PID its redis-server has on this host. */
export interface NodeRunner {
  start(dir: string, certsDir: string): Promise<number>;
  /** For the log and for attach(): 'process', or 'docker:<image>'. */
  readonly kind: string;
}

/** The image built from the local redis-server, tagged with its version. */
export function localImageName(version: string): string {
  return `redis-cluster-tunnel/redis-server:${version}`;
}

async function hasImage(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch {
    return false;
  }
}

/** Waits for a build or pull stream to end; rejects with the engine's error. */
function follow(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) =>
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string }>) => {
        const failed = output?.find((o) => o.error);
        if (err || failed) reject(err ?? new Error(failed?.error));
        else resolve();
      },
      () => undefined,
    ),
  );
}

/** The binary and every library it loads (ldd), at their own paths under `root`. */
async function copyWithLibraries(binary: string, root: string): Promise<void> {
  const { stdout } = await run('ldd', [binary]);
  const files = [binary];
  for (const line of stdout.split('\n')) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m) files.push(m[1]);
  }
  for (const f of files) {
    mkdirSync(join(root, dirname(f)), { recursive: true });
    copyFileSync(f, join(root, f)); // follows symlinks: the library itself under the linked name
  }
}

/** Builds the image from this machine's redis-server, unless it is there already. */
export async function buildLocalImage(docker: Docker, name: string, log: (m: string) => void): Promise<void> {
  if (await hasImage(docker, name)) return;
  const { stdout } = await run('sh', ['-c', 'command -v redis-server']);
  const binary = stdout.trim();
  const ctx = mkdtempSync(join(tmpdir(), 'rct-image-'));
  try {
    await copyWithLibraries(binary, join(ctx, 'rootfs'));
    writeFileSync(join(ctx, 'Dockerfile'), `FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["${binary}"]\n`);
    log(`building image ${name} from ${binary} and its libraries`);
    const tar = spawn('tar', ['-C', ctx, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
    await follow(docker, await docker.buildImage(tar.stdout, { t: name }));
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}

/** Pulls `image` when it is not here (a registry may not be reachable: then it fails, saying so). */
async function ensureImage(docker: Docker, image: string, log: (m: string) => void): Promise<void> {
  if (await hasImage(docker, image)) return;
  log(`pulling ${image}`);
  try {
    await follow(docker, await docker.pull(image));
  } catch (e) {
    throw new Error(`cannot pull ${image} (is a registry reachable?): ${(e as Error).message}`);
  }
}

/** Removes a container by name and waits, at most 15 s, until the engine no longer knows it. */
async function removeContainer(docker: Docker, containerName: string): Promise<void> {
  const container = docker.getContainer(containerName);
  const deadline = Date.now() + 15_000;
  for (;;) {
    // 409 "removal already in progress" is expected here; the inspect below tells when it ends.
    await container.remove({ force: true }).catch(() => undefined);
    try {
      await container.inspect();
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return;
      throw e;
    }
    if (Date.now() > deadline) throw new Error(`container ${containerName} is still there after 15 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A runner that starts nodes as containers. `image`: one to use (pulled when missing); without it,
 * the local image is built. Fails at once, with the reason, when no Docker engine answers.
 */
export async function dockerRunner(
  redisVersion: string,
  image: string | undefined,
  log: (m: string) => void,
): Promise<NodeRunner> {
  const docker = new Docker();
  try {
    await docker.ping();
  } catch (e) {
    throw new Error(
      `no Docker engine answers (DOCKER_HOST or /var/run/docker.sock): ${(e as Error).message}`,
    );
  }
  const name = image ?? localImageName(redisVersion);
  if (image) await ensureImage(docker, image, log);
  else await buildLocalImage(docker, name, log);
  return {
    kind: `docker:${name}`,
    async start(dir, certsDir) {
      const containerName = `rct-${dir.replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/^-+/, '')}`;
      // One left by a run that was killed, or one whose node was just stopped and whose removal
      // (AutoRemove) is still under way: it must be gone before the name can be used again.
      await removeContainer(docker, containerName);
      const container = await docker.createContainer({
        name: containerName,
        Image: name,
        Entrypoint: ['redis-server'],
        Cmd: [join(dir, 'redis.conf'), '--logfile', join(dir, 'redis.log')],
        WorkingDir: dir,
        HostConfig: {
          NetworkMode: 'host',
          AutoRemove: true,
          Binds: [`${dir}:${dir}`, `${certsDir}:${certsDir}:ro`],
        },
      });
      await container.start();
      const pid = (await container.inspect()).State.Pid;
      if (!pid) throw new Error(`container ${containerName} did not start (see ${dir}/redis.log)`);
      return pid;
    },
  };
}
