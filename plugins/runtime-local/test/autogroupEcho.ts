/** A step line `autogroup=N` (its session's nice value) or `autogroup=none` on a kernel without autogroup. */
export const AUTOGROUP_ECHO = `sleep 0.3; echo "autogroup=$(sed -n 's/.* nice //p' /proc/self/autogroup 2>/dev/null | grep . || echo none)"`;
