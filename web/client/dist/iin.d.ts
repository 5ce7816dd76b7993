/** Why an IIN is not valid, or null when it is. */
export type IINProblem = "length" | "digits" | "never_issued" | "check_digit" | "century" | "birth_date";
/**
 * The check digit of the first 11 digits of s (ASCII digits), or -1 when
 * both weight sets give 10: such a number is never issued.
 */
export declare function checkDigit(s: string): number;
/** Checks an IIN; it returns null for a valid one, else the first problem. */
export declare function iinProblem(s: string): IINProblem | null;
/** Whether s is a valid IIN. */
export declare function iinValid(s: string): boolean;
