import { Panel } from '../components/Panel';

/** Downloads of the client's whole record; plain links, so the browser saves the file
 * the api names (Content-Disposition) and the session cookie goes along. */
export function ExportLinks({ clientId }: { clientId: string }) {
  const base = `/api/clients/${encodeURIComponent(clientId)}`;
  return (
    <Panel title="Export">
      <p className="muted small">Everything recorded about this client.</p>
      <p className="actions">
        <a className="button" href={`${base}/export.json`} download>
          JSON
        </a>{' '}
        <a className="button" href={`${base}/export.zip`} download>
          CSV (zip)
        </a>
      </p>
    </Panel>
  );
}
