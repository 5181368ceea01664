/*
 * ext2 on-disk layout: the superblock, the block group descriptor, the
 * inode and the directory entry, with the field names of the ext2
 * documentation ("The Second Extended File System", Dave Poirier), and the
 * constants the engine uses. All fields are little-endian, as are our
 * hosts (x86-64 for the unit tests, RISC-V for the server), so the structs
 * are read in place from block buffers.
 *
 *   byte 0      1024          1024+1024 ...
 *   | boot      | superblock  | (rest of block 0 or 1) | group descriptors |
 *
 * Block group g covers blocks first_data_block + g*blocks_per_group ...;
 * its descriptor gives the block bitmap, inode bitmap and inode table.
 * With sparse_super, backups of the superblock and descriptors sit only in
 * groups 0, 1 and powers of 3, 5 and 7; we update the primary copies only.
 */
#ifndef EXT2_DISK_H
#define EXT2_DISK_H

#include <stdint.h>

#define EXT2_SUPER_MAGIC	0xEF53
#define EXT2_SUPERBLOCK_OFFSET	1024	/* bytes from the start of the disk */
#define EXT2_GOOD_OLD_REV	0
#define EXT2_DYNAMIC_REV	1
#define EXT2_ROOT_INO		2
#define EXT2_NAME_LEN		255
#define EXT2_LINK_MAX		32000

/* s_state */
#define EXT2_VALID_FS		1
#define EXT2_ERROR_FS		2

/* Features. COMPAT ones may be ignored; an unknown INCOMPAT one means we
 * cannot read the disk; an unknown RO_COMPAT one means we may read but
 * must not write. */
#define EXT2_FEATURE_COMPAT_DIR_PREALLOC	0x0001
#define EXT2_FEATURE_COMPAT_IMAGIC_INODES	0x0002
#define EXT3_FEATURE_COMPAT_HAS_JOURNAL		0x0004
#define EXT2_FEATURE_COMPAT_EXT_ATTR		0x0008
#define EXT2_FEATURE_COMPAT_RESIZE_INO		0x0010
#define EXT2_FEATURE_COMPAT_DIR_INDEX		0x0020

#define EXT2_FEATURE_INCOMPAT_COMPRESSION	0x0001
#define EXT2_FEATURE_INCOMPAT_FILETYPE		0x0002
#define EXT3_FEATURE_INCOMPAT_RECOVER		0x0004
#define EXT3_FEATURE_INCOMPAT_JOURNAL_DEV	0x0008
#define EXT2_FEATURE_INCOMPAT_META_BG		0x0010

#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER	0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE	0x0002
#define EXT2_FEATURE_RO_COMPAT_BTREE_DIR	0x0004

/* What this engine implements (docs/ext2.md). */
#define EXT2_INCOMPAT_SUPPORTED	EXT2_FEATURE_INCOMPAT_FILETYPE
#define EXT2_RO_COMPAT_SUPPORTED (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | \
				  EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

struct ext2_super_block {
	uint32_t s_inodes_count;
	uint32_t s_blocks_count;
	uint32_t s_r_blocks_count;
	uint32_t s_free_blocks_count;
	uint32_t s_free_inodes_count;
	uint32_t s_first_data_block;
	uint32_t s_log_block_size;	/* block size = 1024 << this */
	int32_t  s_log_frag_size;
	uint32_t s_blocks_per_group;
	uint32_t s_frags_per_group;
	uint32_t s_inodes_per_group;
	uint32_t s_mtime;
	uint32_t s_wtime;
	uint16_t s_mnt_count;
	int16_t  s_max_mnt_count;
	uint16_t s_magic;
	uint16_t s_state;
	uint16_t s_errors;
	uint16_t s_minor_rev_level;
	uint32_t s_lastcheck;
	uint32_t s_checkinterval;
	uint32_t s_creator_os;
	uint32_t s_rev_level;
	uint16_t s_def_resuid;
	uint16_t s_def_resgid;
	/* EXT2_DYNAMIC_REV */
	uint32_t s_first_ino;
	uint16_t s_inode_size;
	uint16_t s_block_group_nr;
	uint32_t s_feature_compat;
	uint32_t s_feature_incompat;
	uint32_t s_feature_ro_compat;
	uint8_t  s_uuid[16];
	char     s_volume_name[16];
	char     s_last_mounted[64];
	uint32_t s_algo_bitmap;
	/* performance hints */
	uint8_t  s_prealloc_blocks;
	uint8_t  s_prealloc_dir_blocks;
	uint16_t s_padding1;
	/* journaling (ext3) */
	uint8_t  s_journal_uuid[16];
	uint32_t s_journal_inum;
	uint32_t s_journal_dev;
	uint32_t s_last_orphan;
	/* directory indexing */
	uint32_t s_hash_seed[4];
	uint8_t  s_def_hash_version;
	uint8_t  s_padding2[3];
	/* other options */
	uint32_t s_default_mount_options;
	uint32_t s_first_meta_bg;
	uint8_t  s_reserved[760];
};

struct ext2_group_desc {
	uint32_t bg_block_bitmap;
	uint32_t bg_inode_bitmap;
	uint32_t bg_inode_table;
	uint16_t bg_free_blocks_count;
	uint16_t bg_free_inodes_count;
	uint16_t bg_used_dirs_count;
	uint16_t bg_pad;
	uint8_t  bg_reserved[12];
};

/* i_block: 12 direct blocks, then single, double and triple indirect. */
#define EXT2_NDIR_BLOCKS	12
#define EXT2_IND_BLOCK		12
#define EXT2_DIND_BLOCK		13
#define EXT2_TIND_BLOCK		14
#define EXT2_N_BLOCKS		15

/* i_mode */
#define EXT2_S_IFMT	0xF000
#define EXT2_S_IFSOCK	0xC000
#define EXT2_S_IFLNK	0xA000
#define EXT2_S_IFREG	0x8000
#define EXT2_S_IFBLK	0x6000
#define EXT2_S_IFDIR	0x4000
#define EXT2_S_IFCHR	0x2000
#define EXT2_S_IFIFO	0x1000

/* i_flags */
#define EXT2_INDEX_FL	0x00001000	/* hashed-indexed directory */

/* The first 128 bytes of an inode; s_inode_size may be larger (the extra
 * space is ext4's, and we zero it in new inodes). */
struct ext2_inode {
	uint16_t i_mode;
	uint16_t i_uid;
	uint32_t i_size;
	uint32_t i_atime;
	uint32_t i_ctime;
	uint32_t i_mtime;
	uint32_t i_dtime;
	uint16_t i_gid;
	uint16_t i_links_count;
	uint32_t i_blocks;		/* in 512-byte units, indirect blocks too */
	uint32_t i_flags;
	uint32_t i_osd1;
	uint32_t i_block[EXT2_N_BLOCKS];
	uint32_t i_generation;
	uint32_t i_file_acl;		/* extended attribute block */
	uint32_t i_dir_acl;		/* regular files: high 32 bits of size */
	uint32_t i_faddr;
	uint8_t  i_osd2[12];
};

/* Linked directory entry (with the filetype feature: name_len is 8 bits
 * and file_type follows). rec_len is a multiple of 4 and reaches the next
 * entry; the last entry of a block runs to the end of the block. */
struct ext2_dir_entry_2 {
	uint32_t inode;			/* 0: unused entry */
	uint16_t rec_len;
	uint8_t  name_len;
	uint8_t  file_type;
	char     name[];		/* name_len bytes, not NUL-terminated */
};
#define EXT2_DIR_ENTRY_HEADER	8
#define EXT2_DIR_REC_LEN(n)	((EXT2_DIR_ENTRY_HEADER + (n) + 3u) & ~3u)

/* file_type */
#define EXT2_FT_UNKNOWN		0
#define EXT2_FT_REG_FILE	1
#define EXT2_FT_DIR		2
#define EXT2_FT_CHRDEV		3
#define EXT2_FT_BLKDEV		4
#define EXT2_FT_FIFO		5
#define EXT2_FT_SOCK		6
#define EXT2_FT_SYMLINK		7

_Static_assert(sizeof(struct ext2_super_block) == 1024, "superblock");
_Static_assert(sizeof(struct ext2_group_desc) == 32, "group descriptor");
_Static_assert(sizeof(struct ext2_inode) == 128, "inode");
_Static_assert(sizeof(struct ext2_dir_entry_2) == 8, "dir entry header");

#endif
