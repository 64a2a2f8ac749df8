/**
 * Why one build of a publish job failed. Permanent failures (integrity, a ref that is not the
 * app's, an artifact that is not there) fail the build at once; transient ones (IO, network,
 * gpg-agent) are retried inside the job, then reported for the coordinator to retry later.
 */
export interface BuildFailure {
  permanent: boolean;
  message: string;
}

export const permanent = (message: string): BuildFailure => ({ permanent: true, message });
export const transient = (message: string): BuildFailure => ({ permanent: false, message });
