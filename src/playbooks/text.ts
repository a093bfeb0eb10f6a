// What the playbooks say to people: the affected user (plain words, no jargon) and the SOC.

export const DEFAULT_USER_SUBJECT = 'We signed you out of Microsoft 365 on every device';

/** The default message to the user, as HTML paragraphs (Graph sendMail, contentType HTML). */
export function defaultUserMessage(disabled: boolean): string {
  const paras = [
    'Hello,',
    'Our security team saw someone use your Microsoft 365 sign-in from a place and device that are not yours. ' +
      'They did not need your password for this: they copied your sign-in after you entered your password and approved ' +
      'the sign-in on your phone, most likely on a fake sign-in page that looked like Microsoft\u2019s.',
    'To stop them, we ended every session signed in as you, on every device. This is why you were signed out.' +
      (disabled ? ' We have also paused your account until someone from the service desk has checked it with you.' : ''),
    'What to do now:',
    '1. Sign in again only by typing the address yourself or using your usual app or bookmark. ' +
      (disabled ? 'If sign-in is blocked, call the service desk; they will unlock it with you. ' : '') +
      'You will be asked to choose a new password.<br>' +
      '2. Check your security info (https://mysignins.microsoft.com/security-info). If you see a phone, app or key you did ' +
      'not add yourself, tell us.<br>' +
      '3. Tell us if you approved a sign-in request you did not expect in the last few days.',
    'How to spot the fake page next time: the address bar does not end in microsoftonline.com, microsoft.com or ' +
      'office.com; the link came in an unexpected e-mail, a shared document, a voicemail or a QR code; or you were asked ' +
      'to sign in again right after opening a message. When in doubt, close the page and open Microsoft 365 from your ' +
      'bookmark instead.',
    'You did nothing wrong by reporting or by reading this. These pages are built to fool careful people.',
    'Your security team',
  ];
  return paras.map((p) => `<p>${p}</p>`).join('');
}

/** Plain text written by a playbook author, as HTML paragraphs (escaped; blank lines split paragraphs). */
export function userMessageHtml(text: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${esc(p).replace(/\n/g, '<br>')}</p>`)
    .join('');
}
