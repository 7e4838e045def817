// Compile-only check of static/lxl-id.d.ts from a site's point of view (tsconfig.sdk.json).
// Lines marked @ts-expect-error must stay errors: the declarations reject them.

lxl.accounts.id.initialize({
  client_id: 'ngo-demo',
  auto_select: true,
  callback(r) {
    if (r.credential !== undefined) {
      const token: string = r.credential;
      const by: 'auto' = r.select_by;
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
    const stamp: number = m.ms;
    void stamp;
  },
});
lxl.accounts.id.initialize({client_id: 'ngo-demo', login_uri: '/auth/credential', log_level: 'silent'});
lxl.accounts.id.revoke('sub-123', r => { if (!r.successful) void r.error });
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
