/*
 * Interfaces between the parts of the ext2 engine; not for its users.
 * cache.c: block buffers. alloc.c: bitmaps and free counts. bmap.c: file
 * block -> disk block, and freeing on truncate. inode.c: inode table
 * access. dir.c: directory entries. super.c: log lines and the clock.
 */
#ifndef EXT2_INT_H
#define EXT2_INT_H

#include "ext2.h"
#include "abi/kernel.h"

/* super.c */
int fs_corrupt(struct ext2_fs *fs, const char *what, uint64_t num);
void fs_log(struct ext2_fs *fs, const char *what, uint64_t num);
uint32_t fs_now(struct ext2_fs *fs);
int fs_group_desc(struct ext2_fs *fs, uint32_t group, struct ext2_buf **b,
		  struct ext2_group_desc **gd);
void fs_super_dirty(struct ext2_fs *fs);
bool fs_block_valid(const struct ext2_fs *fs, uint64_t blk);

/* cache.c */
#define CACHE_RUN_MAX 64	/* blocks in one device request */
int cache_init(struct ext2_fs *fs);
int bget(struct ext2_fs *fs, uint64_t blk, struct ext2_buf **out);
int bget_zero(struct ext2_fs *fs, uint64_t blk, struct ext2_buf **out);
int bget_whole(struct ext2_fs *fs, uint64_t blk, struct ext2_buf **out);
void bput(struct ext2_fs *fs, struct ext2_buf *b);
void cache_note_dirty(struct ext2_fs *fs, struct ext2_buf *b);
void bdirty(struct ext2_buf *b);
void cache_forget(struct ext2_fs *fs, uint64_t blk);
bool cache_has(struct ext2_fs *fs, uint64_t blk);
void cache_drop(struct ext2_fs *fs, struct ext2_buf *b);
void cache_install(struct ext2_fs *fs, struct ext2_buf *b, uint64_t blk);
int cache_grab_run(struct ext2_fs *fs, uint64_t blk, uint32_t count,
		   struct ext2_buf **run);
struct ext2_buf *cache_in_flight(struct ext2_fs *fs, uint64_t blk);
int cache_prefetch(struct ext2_fs *fs, uint64_t blk, uint32_t count);
int cache_write_back(struct ext2_fs *fs);
/* cache_write_back, then a device flush (one wait, where the device can). */
int cache_write_back_flush(struct ext2_fs *fs);

/* The read-only entry points run in nowait mode if the user asked. */
static inline void nowait_begin(struct ext2_fs *fs)
{
	fs->nowait = fs->nowait_wanted;
}

static inline void nowait_end(struct ext2_fs *fs)
{
	fs->nowait = false;
}

/* trial.c: nowait changes. trial_begin says whether a trial runs;
 * trial_touch records a buffer before the change may modify it (-ERR_AGAIN
 * if there is no room: the change will be rerun synchronously); trial_end
 * keeps or undoes the change and says whether to rerun it synchronously. */
void trial_init(struct ext2_fs *fs);
bool trial_begin(struct ext2_fs *fs);
int trial_touch(struct ext2_fs *fs, struct ext2_buf *b, bool is_new);
bool trial_end(struct ext2_fs *fs, int64_t result);

/* alloc.c */
int alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *out);
int free_block(struct ext2_fs *fs, uint32_t blk);
int alloc_inode(struct ext2_fs *fs, uint32_t parent, bool is_dir,
		uint32_t *out);
int free_inode(struct ext2_fs *fs, uint32_t ino, bool is_dir);

/* inode.c */
int inode_load(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);
int inode_store(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in);
int inode_init(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in,
	       uint16_t mode);
int inode_drop_link(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);
int inode_prepare_delete(struct ext2_fs *fs, uint32_t ino,
			 const struct ext2_inode *in);
uint64_t inode_size(const struct ext2_inode *in);
void inode_set_size(struct ext2_fs *fs, struct ext2_inode *in, uint64_t size);
bool inode_has_blocks(const struct ext2_inode *in);
uint32_t inode_group_goal(struct ext2_fs *fs, uint32_t ino);

static inline bool is_dir(const struct ext2_inode *in)
{
	return (in->i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

/* bmap.c */
int bmap(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in,
	 uint64_t lblk, bool alloc, uint32_t *pblk, bool *fresh);
int bmap_run(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t lblk,
	     uint32_t max, uint32_t *pblk, uint32_t *run);
int bmap_truncate(struct ext2_fs *fs, struct ext2_inode *in, uint64_t nblocks);
int bmap_prepare_free(struct ext2_fs *fs, const struct ext2_inode *in);

/* dir.c */
struct dir_slot {		/* where an entry was found */
	uint64_t lblk;
	uint32_t off, prev_off;	/* prev_off == off: first in its block */
	uint32_t ino;
	uint8_t type;
};
int dir_find(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
	     const char *name, uint32_t len, struct dir_slot *slot);
int dir_add(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
	    const char *name, uint32_t len, uint32_t ino, uint8_t type);
int dir_remove(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
	       const struct dir_slot *slot);
int dir_retarget(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
		 const struct dir_slot *slot, uint32_t ino, uint8_t type);
int dir_is_empty(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din);
int dir_init(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *din,
	     uint32_t parent);
uint8_t dir_type_of(uint16_t mode);

/* namei.c */
struct path_parent {		/* a path split at its last component */
	uint32_t dir;
	struct ext2_inode din;
	const char *name;	/* not NUL-terminated */
	uint32_t len;		/* 0: the path names the root */
	bool slash;		/* the path ended in '/' */
};
int path_walk(struct ext2_fs *fs, const char *path, uint32_t *ino,
	      struct path_parent *p);
bool is_dot(const char *s, uint32_t n);
int adjust_links(struct ext2_fs *fs, uint32_t ino, int delta);
int is_ancestor(struct ext2_fs *fs, uint32_t anc, uint32_t dir);

#endif
