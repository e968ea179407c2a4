import { useClientDeliveries } from '../api/hooks';
import { Badge } from '../components/Badge';
import { Panel } from '../components/Panel';
import { Resource } from '../components/States';
import { dateTime, words } from '../format';
import { DELIVERY_TONE } from './TimelineEntry';

/** The latest DMs sent to the client and how each went (queued → sent, missed…). */
export function DeliveriesPanel({ clientId, timeZone }: { clientId: string; timeZone: string }) {
  const deliveries = useClientDeliveries(clientId);
  return (
    <Panel title="Deliveries">
      <Resource
        result={deliveries}
        what="deliveries"
        empty={(page) => (page.items.length === 0 ? 'Nothing sent to this client yet.' : null)}
      >
        {(page) => (
          <ul className="deliveries">
            {page.items.map((delivery) => (
              <li key={delivery.id} data-testid="delivery">
                <div className="entry-head">
                  <span>
                    <Badge tone={DELIVERY_TONE[delivery.status] ?? 'neutral'}>{words(delivery.status)}</Badge>{' '}
                    {words(delivery.delivery_kind)}
                  </span>
                  <time dateTime={delivery.at}>{dateTime(delivery.at, timeZone)}</time>
                </div>
                <p className="client-text clamp">{delivery.text}</p>
                {delivery.last_error && <p className="muted small">{delivery.last_error}</p>}
              </li>
            ))}
          </ul>
        )}
      </Resource>
    </Panel>
  );
}
