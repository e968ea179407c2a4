import { useRateLimitedUntil } from '../api/rateLimit';
import { useSecondsLeft } from './States';

function Countdown({ until }: { until: number }) {
  const left = useSecondsLeft(until);
  if (left === 0) return null;
  return (
    <div className="banner" role="alert">
      Too many requests from this network: Battle Station can ask the server again in {left} s.
      What you see may be out of date until then.
    </div>
  );
}

/** Shown while the api's rate limit holds, whichever request ran into it. */
export function RateLimitBanner() {
  const until = useRateLimitedUntil();
  // Keyed by the deadline: a new rate limit starts a fresh countdown.
  return until === null ? null : <Countdown key={until} until={until} />;
}
