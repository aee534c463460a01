/* SPDX-License-Identifier: MIT */
/*
 * The classic pcap file format, nanosecond variant: a 24-byte file header
 * (magic 0xa1b23c4d, version 2.4, snaplen, link type) and a 16-byte header
 * before each frame (seconds, nanoseconds, captured and original length).
 * Everything is written little-endian, whatever the host; readers tell the
 * byte order from the magic.  Pure code: no I/O.
 */
#ifndef PBL_PCAP_H
#define PBL_PCAP_H

#include <stdint.h>

#define PBL_PCAP_MAGIC_NSEC   0xa1b23c4du
#define PBL_PCAP_VERSION_MAJ  2
#define PBL_PCAP_VERSION_MIN  4
#define PBL_PCAP_SNAPLEN      262144u /* What tcpdump uses: enough for a GSO packet. */
#define PBL_PCAP_LINKTYPE_ETH 1u
#define PBL_PCAP_FILE_HDR     24
#define PBL_PCAP_REC_HDR      16

/* The file header for 'snaplen' and 'linktype'. */
void pbl_pcap_file_header(uint8_t out[PBL_PCAP_FILE_HDR], uint32_t snaplen, uint32_t linktype);

/*
 * The header of one frame seen at 'sec'.'nsec' (UNIX time), of which
 * 'caplen' bytes out of 'len' follow.  Seconds are kept modulo 2^32.
 */
void pbl_pcap_record_header(uint8_t out[PBL_PCAP_REC_HDR], uint64_t sec, uint32_t nsec,
                            uint32_t caplen, uint32_t len);

#endif
