/*
 * test_pager_attack's malformed-request modes (pager_attack_requests.c),
 * run by test_pager_attack.c's main beside the process-end modes. The
 * shared page and after_attack are attack.h's.
 */
#ifndef TEST_PAGER_ATTACK_H
#define TEST_PAGER_ATTACK_H

void attack_badreq(void);
void attack_remapidx(void);
void attack_fixedloop(void);

#endif
