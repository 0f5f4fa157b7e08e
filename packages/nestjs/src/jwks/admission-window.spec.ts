import { describe, expect, it } from '@jest/globals';
import { AdmissionWindow } from './admission-window.js';

describe('AdmissionWindow', () => {
  it('admits perSecond within any 1 000 ms, then again once the oldest admission is 1 000 ms old', () => {
    const window = new AdmissionWindow(3);
    expect([0, 10, 20, 30].map((at) => window.tryAdmit(at))).toEqual([true, true, true, false]);
    expect(window.tryAdmit(999)).toBe(false);
    expect(window.tryAdmit(1_000)).toBe(true);
    expect(window.tryAdmit(1_005)).toBe(false);
    expect(window.tryAdmit(1_010)).toBe(true);
  });

  it('never admits more than perSecond in a window straddling a second boundary', () => {
    const window = new AdmissionWindow(10);
    let admitted = 0;
    // 2 000 attempts spread over 1 000 ms starting at x.500: a per-calendar-second counter would admit 20.
    for (let i = 0; i < 2_000; i++) if (window.tryAdmit(500 + i / 2)) admitted++;
    expect(admitted).toBe(10);
  });

  it('refuses nothing it has not counted: refused attempts do not push the window', () => {
    const window = new AdmissionWindow(1);
    expect(window.tryAdmit(0)).toBe(true);
    for (let at = 1; at < 1_000; at += 7) expect(window.tryAdmit(at)).toBe(false);
    expect(window.tryAdmit(1_000)).toBe(true);
  });
});
