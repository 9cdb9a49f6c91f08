import { AlertEvent, SessionView, type PageConfig } from '@cityhub/contracts';
import { apiUrl } from '../data/api.js';
import { byId } from '../ui/dom.js';
import { DashboardError } from './errors.js';

/** The roles that may acknowledge alerts. */
const ACKNOWLEDGERS = new Set(['operator', 'admin']);

/** The message of an API error answer, or the status. */
async function problem(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as { error?: { message?: unknown } } | null;
  return typeof body?.error?.message === 'string' ? body.error.message : `the hub answered ${res.status}`;
}

/**
 * Who is signed in to this page (the session cookie is HttpOnly: the page learns of it from
 * `GET /api/v1/session`), and the requests a signed-in person makes, each with the session's CSRF token.
 */
export class PageSession {
  private current: SessionView | null = null;
  private readonly listeners: (() => void)[] = [];
  /** Where a person signed in with OpenID Connect goes after signing out, to sign out at the provider too. */
  providerLogout: string | null = null;

  constructor(private readonly origin: string) {}

  get who(): SessionView | null {
    return this.current;
  }

  /** Whether the person signed in may acknowledge alerts (the API checks it again). */
  canAcknowledge(): boolean {
    return this.current !== null && ACKNOWLEDGERS.has(this.current.role);
  }

  onChange(cb: () => void): void {
    this.listeners.push(cb);
  }

  private set(s: SessionView | null): void {
    this.current = s;
    for (const l of this.listeners) l();
  }

  /** Reads the session of the cookie, if any (a page opened while signed in). */
  async load(): Promise<void> {
    try {
      const res = await fetch(apiUrl(this.origin, '/session'), { headers: { accept: 'application/json' } });
      const parsed = res.status === 200 ? SessionView.safeParse(await res.json()) : null;
      this.set(parsed?.success ? parsed.data : null);
    } catch (e) {
      console.warn(`session unknown: ${(e as Error).message}`);
      this.set(null);
    }
  }

  /** Signs in; resolves with null when done, else why not, in words. */
  async signIn(user: string, password: string): Promise<string | null> {
    const res = await fetch(apiUrl(this.origin, '/session'), {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ user, password }),
    });
    if (!res.ok) return problem(res);
    const parsed = SessionView.safeParse(await res.json());
    if (!parsed.success) return 'the hub answered an unexpected body';
    this.set(parsed.data);
    return null;
  }

  /** Signs out; a person signed in with OpenID Connect then goes to the provider's sign-out, which comes back here. */
  async signOut(): Promise<void> {
    const was = this.current;
    const csrf = was?.csrf_token;
    await fetch(apiUrl(this.origin, '/session'), { method: 'DELETE', headers: csrf ? { 'x-csrf-token': csrf } : {} }).catch(() => undefined);
    this.set(null);
    if (was?.user.startsWith('oidc:') && this.providerLogout) window.location.assign(this.providerLogout);
  }

  /** Acknowledges an alert with an optional comment: the acknowledgement event, or why not, thrown. */
  async acknowledge(alert: string, comment: string): Promise<AlertEvent> {
    const res = await fetch(apiUrl(this.origin, `/alerts/${encodeURIComponent(alert)}/ack`), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'x-csrf-token': this.current?.csrf_token ?? '' },
      body: JSON.stringify(comment.trim() ? { comment: comment.trim() } : {}),
    });
    if (res.status === 401) this.set(null);
    if (!res.ok) throw new DashboardError('HTTP_ERROR', await problem(res), res.status);
    return AlertEvent.parse(await res.json());
  }
}

/** The header's "Sign in" button and its dialog, and the signed-in person's name with "Sign out". */
export function setUpSignIn(session: PageSession): void {
  const open = byId('signin-open', HTMLButtonElement);
  const dialog = byId('signin', HTMLDialogElement);
  const form = byId('signin-form', HTMLFormElement);
  const user = byId('signin-user', HTMLInputElement);
  const password = byId('signin-password', HTMLInputElement);
  const error = byId('signin-error', HTMLElement);
  const who = byId('signed-in', HTMLElement);
  const name = byId('signed-in-name', HTMLElement);
  open.addEventListener('click', () => {
    error.hidden = true;
    dialog.showModal();
  });
  byId('signin-cancel', HTMLButtonElement).addEventListener('click', () => dialog.close());
  byId('signout', HTMLButtonElement).addEventListener('click', () => void session.signOut());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void session.signIn(user.value, password.value).then((why) => {
      password.value = '';
      if (why === null) {
        dialog.close();
        return;
      }
      error.textContent = why;
      error.hidden = false;
    });
  });
  const show = () => {
    const s = session.who;
    open.hidden = s !== null;
    who.hidden = s === null;
    name.textContent = s ? `${s.name ?? s.user} (${s.role})` : '';
  };
  session.onChange(show);
  show();
  void session.load();
}

/**
 * The dialog's "Sign in with <provider>" link when the hub offers OpenID Connect sign-in: it leaves for the
 * provider and comes back to the view open now (the hub takes a path of its own, at most 512 characters).
 */
export function offerSingleSignOn(oidc: PageConfig['oidc'], session: PageSession): void {
  if (!oidc) return;
  session.providerLogout = oidc.logout;
  const link = byId('signin-oidc', HTMLAnchorElement);
  link.textContent = `Sign in with ${oidc.name}`;
  const aim = () => {
    const here = window.location.pathname + window.location.search + window.location.hash;
    link.href = `${oidc.login}?returnTo=${encodeURIComponent(here.length <= 512 ? here : window.location.pathname)}`;
  };
  aim();
  link.addEventListener('click', aim);
  byId('signin-sso', HTMLElement).hidden = false;
}
