/** Text a hostile task or message may carry: an OSC title sequence (ESC ] 0 ; … BEL), a CSI that clears the screen, and the one-character C1 CSI. */
export const HOSTILE = 'A\x1b]0;pwned\x07B\x1b[2JC\u009b31mD';
/** HOSTILE as tq prints it in human-readable output. */
export const HOSTILE_SHOWN = 'A\\x1b]0;pwned\\x07B\\x1b[2JC\\x9b31mD';
/** A byte a terminal acts on: C0 but tab and newline, DEL, C1 (as characters of a decoded string). */
export const TERMINAL_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
