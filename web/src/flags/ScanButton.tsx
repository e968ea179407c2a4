import { useState } from 'react';
import { api, call } from '../api/client';
import type { ScanQueued } from '../api/types';
import { ErrorNotice } from '../components/States';

/** Ask the flag worker to scan one client's week (or everyone's) again. */
export function ScanButton({ clientId, isoWeek, label }: { clientId?: string; isoWeek?: string; label: string }) {
  const [queued, setQueued] = useState<ScanQueued | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const scan = async () => {
    setBusy(true);
    setError(null);
    try {
      setQueued(await call(api.POST('/flags/scan', { body: { client_id: clientId, iso_week: isoWeek } })));
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="scan">
      <button type="button" onClick={() => void scan()} disabled={busy}>
        {label}
      </button>
      <span role="status" className="muted small">
        {queued && `Scan of ${queued.iso_week} queued; new flags appear here when the flag worker has run.`}
      </span>
      {error ? <ErrorNotice error={error} /> : null}
    </div>
  );
}
