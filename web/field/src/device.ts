// Pure helpers of 扫码登记: reading an enrolment link, and naming the phone
// for the office's list of a user's phones.

/** The enrolment code in a link of the enrolment sheet (`/app/#enroll=…`), if it is one. */
export function enrolmentCode(link: string): string | null {
  return /#enroll=([A-Za-z0-9_-]{22})$/.exec(link.trim())?.[1] ?? null
}

/** What the office's list calls the phone: its model where the browser says it, else its system. */
export function deviceModel(ua: string): string {
  const android = /Android [\d.]+; (?:[a-z]{2}[-_][a-z]{2}; )?([^;)]+?)(?: Build\/[^;)]*)?[;)]/i.exec(ua)
  if (android && android[1].trim() !== 'K') return android[1].trim().slice(0, 128)
  const known: [RegExp, string][] = [
    [/Android/, 'Android 手机'],
    [/iPhone/, 'iPhone'],
    [/iPad/, 'iPad'],
    [/HarmonyOS|OpenHarmony/, '鸿蒙设备'],
    [/Windows/, 'Windows 电脑'],
    [/Macintosh/, 'Mac 电脑'],
    [/Linux/, 'Linux 电脑'],
  ]
  return known.find(([re]) => re.test(ua))?.[1] ?? '未知设备'
}
