/*
 * The harness of the fill-record attacks (test_fillrec_attack.c says what
 * each part tries; test_fillrec_harness.c has the code): a server the test
 * drives one command at a time through the mailbox (fetch, answer one
 * fill, fail it, invalidate, resize, supply, close, touch its own
 * mapping), clients that fault on pages of its object, and the checks
 * every part ends with.
 */
#ifndef TEST_FILLREC_H
#define TEST_FILLREC_H

#include <stdbool.h>
#include "extattack.h"

#define OBJ_PAGES	32
#define MARK(gen, i)	(0xf1770000u + ((uint32_t)(gen) << 12) + (uint32_t)(i))	/* gen < 16, i < 4096 */
#define SUPPLIED(i)	(0x5a990000u + (uint32_t)(i))
#define NSLOT		6
#define NREQ		16

enum { C_FETCH = 1, C_ANSWER, C_FAIL, C_INVAL, C_SIZE, C_SUPPLY, C_CLOSE, C_TOUCH };
enum { READ_SHARED, READ_PRIV, WRITE_PRIV, WRITE_SHARED };

struct box {
	volatile int64_t srv_pid, key;
	volatile uint64_t tok;
	volatile uint64_t cmd, a, n, seq, done;
	volatile int64_t res;
	volatile uint64_t pages;			/* the object's (0: OBJ_PAGES) */
	volatile uint64_t nreq, gen, hits;		/* fills fetched, answered */
	volatile struct { uint64_t index, count, token, window; } req[NREQ];
	volatile uint64_t ready[NSLOT], progress[NSLOT];
	volatile uint32_t got[NSLOT][4];
};

extern struct box *b;
/* The next clients map map_len pages (0: all) from page map_off. */
extern uint64_t map_off, map_len;

/* Have the server run cmd: its result. */
int64_t srv(uint64_t cmd, uint64_t a, uint64_t n);
/* Let a client that is about to fault reach the pager and wait there. */
void settle(void);
/* A client in slot: maps the object as how says and reads (or, for
 * WRITE_PRIV, writes word 1 of, then reads) each of pages in turn. */
pid_t client(int slot, int how, const uint64_t *pages, int n);
/* A client that will be answered: started, settled in its wait. */
pid_t waiting(int slot, int how, uint64_t page);
/* How a client ended: killed (by the test), exited 0, or SIGBUS. */
void killed(pid_t c);
void exited(pid_t c);
void bused(pid_t c);
pid_t server_start(void);
void server_end(pid_t s);
/* The free frames came back to (about) what they were. */
void frames_back(int64_t before, const char *what);

/* test_fillrec_attack2.c: the parts past the fill's own bookkeeping */
int signals(void);
int maprun(void);
int boundary(void);
int selfwait(void);
int offsets(void);

#endif
