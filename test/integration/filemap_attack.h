/*
 * What the error and attack parts of test_filemap share
 * (test_filemap_attack.c runs the modes; filemap_attacks.c,
 * filemap_attacks2.c and filemap_durable.c hold them): the macros they
 * check with, the flags page between a test and its children, the reader
 * killed while its faults wait, the wait for file objects to go, and the
 * modes. The rest of test_filemap does not include it (test_filemap.c
 * has a flags of its own).
 */
#ifndef TEST_FILEMAP_ATTACK_H
#define TEST_FILEMAP_ATTACK_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "libsys.h"
#include "libsys_file.h"
#include "t.h"
#include "filemap.h"

#define PS	PAGE_SIZE
#define RW	(PROT_READ | PROT_WRITE)

#define CHECK_ERR(call, e) do {							\
	errno = 0;								\
	long long r_ = (long long)(intptr_t)(call);				\
	CHECK_EQ(r_, -1);							\
	CHECK_EQ(errno, (e));							\
} while (0)

/* Flags between a test and its children (a shared_page()), or NULL. */
extern volatile uint64_t *flags;
/* Map the cold file and read it all from start: killed while a fault waits. */
int cold_reader(uint64_t start);
/* Yield until the file objects held (mapstats w[5]) are back to `was`, at
 * most `tries` times: then they must be, and the pager's checker pass. */
void holds_back_to(uint64_t was, int tries);

/* The modes (test_filemap_attack.c lists them). */
void errors(void);
void attacks(void);	/* filemap_attacks.c */
void attacks2(void);	/* filemap_attacks2.c */
void fsd_dies(void);	/* filemap_durable.c, with the three below */
void enospc(void);
int durable(bool by_fsync);
void exits(void);

#endif
