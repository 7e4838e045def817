// Compile-only check of static/lxl-id.d.ts from a site's point of view (tsconfig.sdk.json).
// Lines marked @ts-expect-error must stay errors: the declarations reject them.

lxl.accounts.id.initialize({
  client_id: 'ngo-demo',
  auto_select: true,
  callback(r) {
    if (r.credential !== undefined) {
      const token: string = r.credential;
      const by: 'auto' | 'btn' | 'user' = r.select_by;
      void token; void by;
    } else {
      const reason: lxl.accounts.id.FailureReason = r.reason;
      if (r.reason === 'timeout') void r.step;
      void reason;
    }
  },
  on_moment(m) {
    if (m.type === 'result' && !m.ok) void m.reason;
    if (m.type === 'step') void m.step;
    if (m.type === 'message' && m.message === 'lxl:session') void [m.frame, m.status, m.reason];
    if (m.type === 'prompt' && m.moment === 'display' && !m.displayed) void [m.not_displayed_reason, m.reason];
    if (m.type === 'prompt' && m.moment === 'skipped') void [m.skipped_reason, m.reason];
    if (m.type === 'prompt' && m.moment === 'dismissed') void m.dismissed_reason;
    const stamp: number = m.ms;
    void stamp;
  },
});
lxl.accounts.id.initialize({client_id: 'ngo-demo', login_uri: '/auth/credential', log_level: 'silent'});
lxl.accounts.id.initialize({client_id: 'ngo-demo', login_uri: '/auth/credential', ux_mode: 'redirect'});
lxl.accounts.id.renderButton(document.body);
lxl.accounts.id.renderButton(document.createElement('div'), {
  type: 'standard', theme: 'filled_blue', size: 'medium', text: 'continue_with', shape: 'pill',
  logo_alignment: 'center', width: 240, click_listener: () => {},
});
const denied: lxl.accounts.id.FailureReason = 'access_denied';
void denied;
lxl.accounts.id.revoke('sub-123', r => { if (!r.successful) void r.error });
lxl.accounts.id.prompt();
lxl.accounts.id.prompt(n => {
  const type: 'display' | 'skipped' | 'dismissed' = n.getMomentType();
  if (n.isDisplayMoment() && n.isNotDisplayed()) {
    const why: lxl.accounts.id.NotDisplayedReason | undefined = n.getNotDisplayedReason();
    void why;
  }
  if (n.isSkippedMoment()) void n.getSkippedReason();
  if (n.isDismissedMoment()) void n.getDismissedReason();
  const reason: lxl.accounts.id.FailureReason | undefined = n.reason;
  void [type, reason, n.isDisplayed()];
  // @ts-expect-error the notification is read-only
  n.reason = 'no_session';
});
const byCard: lxl.accounts.id.CredentialResponse['select_by'] = 'user';
void byCard;
lxl.accounts.id.disableAutoSelect();
lxl.accounts.id.cancel();
window.lxl.accounts.id.cancel();

// @ts-expect-error unknown option (typo of client_id)
lxl.accounts.id.initialize({clientId: 'ngo-demo'});
// @ts-expect-error auto_select is a boolean
lxl.accounts.id.initialize({client_id: 'ngo-demo', auto_select: 'true'});
// @ts-expect-error not a failure reason
const bad: lxl.accounts.id.FailureReason = 'login_required';
void bad;
// @ts-expect-error ux_mode is 'popup' or 'redirect'
lxl.accounts.id.initialize({client_id: 'ngo-demo', callback() {}, ux_mode: 'modal'});
// @ts-expect-error renderButton needs an element
lxl.accounts.id.renderButton('#signin');
// @ts-expect-error size is large, medium or small
lxl.accounts.id.renderButton(document.body, {size: 'huge'});
// @ts-expect-error width is a number of px
lxl.accounts.id.renderButton(document.body, {width: '200px'});
// @ts-expect-error the listener is a function
lxl.accounts.id.prompt('onMoment');
// @ts-expect-error a reason of GIS that LxL ID never produces
const tapOutside: lxl.accounts.id.SkippedReason = 'tap_outside';
void tapOutside;
