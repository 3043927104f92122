import { describe, expect, it } from 'vitest'
import { deviceModel, enrolmentCode } from './device'

describe('the enrolment link', () => {
  it('gives the code of a link of the enrolment sheet, and nothing else', () => {
    expect(enrolmentCode('https://sancha.example.cn/app/#enroll=q3Jx0bV9sLk2mN8pR4tW1g')).toBe('q3Jx0bV9sLk2mN8pR4tW1g')
    expect(enrolmentCode(' https://x/app/#enroll=q3Jx0bV9sLk2mN8pR4tW1g\n')).toBe('q3Jx0bV9sLk2mN8pR4tW1g')
    expect(enrolmentCode('https://x/c/q3Jx0bV9sLk2mN8pR4tW1g')).toBeNull() // a household's card
    expect(enrolmentCode('https://x/app/#enroll=short')).toBeNull()
    expect(enrolmentCode('https://x/app/#enroll=q3Jx0bV9sLk2mN8pR4tW1g&x=1')).toBeNull()
  })
})

describe('the phone model the office sees', () => {
  it('names an Android phone by its model, others by their system', () => {
    expect(deviceModel('Mozilla/5.0 (Linux; Android 13; 22101316C Build/TP1A.220624.014; wv) AppleWebKit/537.36 MicroMessenger/8.0'))
      .toBe('22101316C')
    expect(deviceModel('Mozilla/5.0 (Linux; Android 12; Redmi Note 11) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36')).toBe('Redmi Note 11')
    // Chrome's reduced user agent hides the model as "K".
    expect(deviceModel('Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 Chrome/130 Mobile Safari/537.36')).toBe('Android 手机')
    expect(deviceModel('Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15')).toBe('iPhone')
    expect(deviceModel('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/140')).toBe('Linux 电脑')
    expect(deviceModel('')).toBe('未知设备')
  })
})
