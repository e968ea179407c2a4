import { useState } from 'react';
import { useFlags } from '../api/hooks';
import { FlagCard } from '../flags/FlagCard';
import { ScanButton } from '../flags/ScanButton';
import { Panel } from '../components/Panel';
import { Resource } from '../components/States';

export function ClientFlags({ clientId }: { clientId: string }) {
  const [withResolved, setWithResolved] = useState(false);
  const flags = useFlags({
    client_id: clientId,
    status: withResolved ? undefined : ['open', 'acknowledged'],
    limit: 50,
  });
  return (
    <Panel
      title="Flags"
      actions={
        <label className="check">
          <input type="checkbox" checked={withResolved} onChange={(e) => setWithResolved(e.target.checked)} />
          Show resolved
        </label>
      }
    >
      <Resource
        result={flags}
        what="flags"
        empty={(page) =>
          page.items.length > 0
            ? null
            : withResolved
              ? 'No flags for this client yet.'
              : 'No unresolved flags: nothing needs you here.'
        }
      >
        {(page) => (
          <div className="flag-list">
            {page.items.map((flag) => (
              <FlagCard key={flag.id} flag={flag} />
            ))}
          </div>
        )}
      </Resource>
      <ScanButton clientId={clientId} label="Re-scan this client" />
    </Panel>
  );
}
