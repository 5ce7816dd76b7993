// The IIN check the gateway applies (gateway/iin): 12 digits, a check
// digit, a century digit and a birth date. Checking in the page refuses a
// mistyped IIN before any camera starts; the gateway checks again.

const WEIGHTS1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const WEIGHTS2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

/** Why an IIN is not valid, or null when it is. */
export type IINProblem = "length" | "digits" | "never_issued" | "check_digit" | "century" | "birth_date";

/**
 * The check digit of the first 11 digits of s (ASCII digits), or -1 when
 * both weight sets give 10: such a number is never issued.
 */
export function checkDigit(s: string): number {
  for (const w of [WEIGHTS1, WEIGHTS2]) {
    let sum = 0;
    for (let i = 0; i < 11; i++) sum += (s.charCodeAt(i) - 48) * w[i];
    const c = sum % 11;
    if (c !== 10) return c;
  }
  return -1;
}

/** Checks an IIN; it returns null for a valid one, else the first problem. */
export function iinProblem(s: string): IINProblem | null {
  if (s.length !== 12) return "length";
  if (!/^[0-9]{12}$/.test(s)) return "digits";
  const c = checkDigit(s);
  if (c < 0) return "never_issued";
  if (s.charCodeAt(11) - 48 !== c) return "check_digit";
  const century = s.charCodeAt(6) - 48;
  if (century < 1 || century > 6) return "century";
  const year = (18 + Math.floor((century - 1) / 2)) * 100 + Number(s.slice(0, 2));
  const month = Number(s.slice(2, 4));
  const day = Number(s.slice(4, 6));
  const d = new Date(Date.UTC(year, month - 1, day));
  if (month < 1 || month > 12 || d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
    return "birth_date";
  }
  return null;
}

/** Whether s is a valid IIN. */
export function iinValid(s: string): boolean {
  return iinProblem(s) === null;
}
