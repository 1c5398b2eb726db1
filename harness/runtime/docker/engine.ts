// Whether a docker engine answers, asked quickly: the run loop picks its runtime with this, and
// a missing engine must cost seconds, not a hung harness.
import Docker from 'dockerode';

export async function isDockerAvailable(timeoutMs = 2000): Promise<boolean> {
  const docker = new Docker();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      docker.ping().then(() => true, () => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
