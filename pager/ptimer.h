/*
 * The pager's one kernel timer (ptimer.c): alarms and background
 * write-back share it.
 */
#ifndef PAGER_PTIMER_H
#define PAGER_PTIMER_H

/* Set the timer for the earliest of the alarms and the oldest dirty
 * page's due time (making the relay the first time one is needed).
 * 0, or an error if the relay could not be made. */
int ptimer_arm(void);
/* ptimer_arm, unless the timer is set already for no later than `due`
 * (whatever else is due then, it fires in time and sets it again): what
 * a new deadline asks, without looking at every other one. */
int ptimer_arm_by(uint64_t due);
/* The relay's call: deliver the alarms due, write back what is due, and
 * set the timer again. */
void ptimer_fire(void);

#endif
