import type { AlertEvent } from '@cityhub/contracts';
import type { PageSession } from '../page/session.js';
import { byId } from '../ui/dom.js';

/**
 * The "Acknowledge alert" dialog of index.html: a comment, then `POST /alerts/{id}/ack` with the session's
 * CSRF token. `done` gets the acknowledgement event (the alert book takes it: an alert that has cleared sends
 * no live event).
 */
export class AckDialog {
  private readonly dialog = byId('ack', HTMLDialogElement);
  private readonly what = byId('ack-what', HTMLElement);
  private readonly comment = byId('ack-comment', HTMLTextAreaElement);
  private readonly error = byId('ack-error', HTMLElement);
  private alert: string | null = null;

  constructor(session: PageSession, done: (ev: AlertEvent) => void) {
    byId('ack-cancel', HTMLButtonElement).addEventListener('click', () => this.dialog.close());
    byId('ack-form', HTMLFormElement).addEventListener('submit', (e) => {
      e.preventDefault();
      const id = this.alert;
      if (id === null) return;
      session.acknowledge(id, this.comment.value).then((ev) => {
        this.dialog.close();
        done(ev);
      }, (err: unknown) => {
        this.error.textContent = `Not acknowledged: ${(err as Error).message}`;
        this.error.hidden = false;
      });
    });
  }

  /** Opens the dialog for one alert, described in words. */
  open(alert: string, description: string): void {
    this.alert = alert;
    this.what.textContent = description;
    this.comment.value = '';
    this.error.hidden = true;
    this.dialog.showModal();
  }
}
