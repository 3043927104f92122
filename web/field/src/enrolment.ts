// The enrolment code a link of the enrolment sheet brought (`/app/#enroll=…`).
// router.ts takes it out of the address before the router starts, so it is in
// no history entry and no later URL; the 扫码登记 page spends it.
import { reactive } from 'vue'
import { enrolmentCode } from './device'

export const pending = reactive({ code: null as string | null })

/** Takes the code out of the address, leaving the 扫码登记 page's. */
export function takeEnrolmentLink() {
  const code = enrolmentCode(location.href)
  if (!code) return
  pending.code = code
  history.replaceState(null, '', '/app/enroll')
}
