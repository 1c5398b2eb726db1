/*
 * chaos-netemd: tc netem's impairments for one link, in user space, through NFQUEUE.
 *
 * Why not tc netem: the kernels this project runs on (its developers' and CI's machines) are
 * built without sch_netem (and without sch_prio), while nfnetlink_queue and xt_NFQUEUE are in.
 * The partition helper sends the packets of one impaired link (`iptables -A CHAOS-NETEM -d <to>
 * -j NFQUEUE --queue-num N --queue-bypass`, in the sender's namespace) to this program, which
 * gives each one netem's treatment and its verdict:
 *
 *   - duplicate with chance DUP (the copy is re-sent later through a raw socket with its own
 *     delay, marked MARK so that it is not queued again), then lose with chance LOSS
 *     (netem: count = 1 + dup - loss; nothing goes when it is 0);
 *   - with chance REORDER, sent at once (overtaking the held-back ones), else
 *   - held for DELAY +- JITTER (uniform, clamped at 0) and released in order of release time
 *     (netem's time-sorted queue: jitter alone reorders, as it does there).
 *
 * Usage: chaos-netemd QUEUE DELAY_US JITTER_US LOSS DUP REORDER MARK SEED
 * It binds the queue, forks, prints the child's pid and exits 0 (so the caller knows the link is
 * impaired from then on), or prints why not and exits 1. The child runs until SIGTERM, then
 * lets every held packet go at once (drops held copies) and exits. Its errors go to
 * /tmp/chaos-netemd.QUEUE.log.
 *
 * Plain Linux headers and libc, no libnetfilter_queue: the helper image carries only this.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int nl = -1, raw = -1;
static uint16_t queue_num;
static uint64_t delay_ns, jitter_ns;
static double loss_p, dup_p, reorder_p;
static uint32_t fw_mark;
static uint64_t rng_state;
static volatile sig_atomic_t stop;

static void die(const char *what) {
  fprintf(stderr, "chaos-netemd: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* xorshift64*: a uniform double in [0, 1). */
static double uniform(void) {
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (double)((rng_state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- held packets: a min-heap on (release time, arrival order) ------------------------------ */

struct held {
  uint64_t at, seq;
  uint32_t id;        /* the kernel's packet id (an original) */
  unsigned char *copy; /* or the bytes of a duplicate, sent through the raw socket */
  uint32_t len;
};

static struct held *heap;
static size_t heap_len, heap_cap;
static uint64_t seq_next;

static int before(const struct held *x, const struct held *y) {
  return x->at < y->at || (x->at == y->at && x->seq < y->seq);
}

static void heap_push(struct held h) {
  if (heap_len == heap_cap) {
    heap_cap = heap_cap ? heap_cap * 2 : 256;
    heap = realloc(heap, heap_cap * sizeof *heap);
    if (!heap) die("realloc");
  }
  size_t i = heap_len++;
  heap[i] = h;
  while (i > 0) {
    size_t p = (i - 1) / 2;
    if (!before(&heap[i], &heap[p])) break;
    struct held t = heap[i]; heap[i] = heap[p]; heap[p] = t;
    i = p;
  }
}

static struct held heap_pop(void) {
  struct held top = heap[0];
  heap[0] = heap[--heap_len];
  size_t i = 0;
  for (;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < heap_len && before(&heap[l], &heap[m])) m = l;
    if (r < heap_len && before(&heap[r], &heap[m])) m = r;
    if (m == i) break;
    struct held t = heap[i]; heap[i] = heap[m]; heap[m] = t;
    i = m;
  }
  return top;
}

/* ---- netlink -------------------------------------------------------------------------------- */

static size_t put_attr(char *buf, size_t off, uint16_t type, const void *data, uint16_t len) {
  struct nlattr *a = (struct nlattr *)(buf + off);
  a->nla_type = type;
  a->nla_len = NLA_HDRLEN + len;
  memcpy(buf + off + NLA_HDRLEN, data, len);
  return off + NLA_ALIGN(a->nla_len);
}

/* A message of the queue subsystem; returns its length. */
static size_t begin(char *buf, uint8_t msg, uint16_t flags) {
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  memset(buf, 0, NLMSG_HDRLEN + sizeof(struct nfgenmsg));
  h->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | msg;
  h->nlmsg_flags = NLM_F_REQUEST | flags;
  struct nfgenmsg *g = (struct nfgenmsg *)NLMSG_DATA(h);
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons(queue_num);
  return NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
}

static void send_msg(char *buf, size_t len) {
  ((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)len;
  struct sockaddr_nl to = { .nl_family = AF_NETLINK };
  while (sendto(nl, buf, len, 0, (struct sockaddr *)&to, sizeof to) < 0) {
    if (errno == EINTR) continue;
    die("netlink send");
  }
}

/* Sends a config message and waits for its ack. */
static void configure(uint16_t attr, const void *data, uint16_t len) {
  char buf[256];
  size_t off = begin(buf, NFQNL_MSG_CONFIG, NLM_F_ACK);
  off = put_attr(buf, off, attr, data, len);
  send_msg(buf, off);
  char ack[4096];
  for (;;) {
    ssize_t n = recv(nl, ack, sizeof ack, 0);
    if (n < 0) { if (errno == EINTR) continue; die("netlink ack"); }
    int len = (int)n; /* signed: NLMSG_NEXT takes the padding off the last message too */
    for (struct nlmsghdr *h = (struct nlmsghdr *)ack; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      int err = ((struct nlmsgerr *)NLMSG_DATA(h))->error;
      if (err == 0) return;
      errno = -err;
      die("binding the queue");
    }
  }
}

static void verdict(uint32_t id, uint32_t v) {
  char buf[128];
  size_t off = begin(buf, NFQNL_MSG_VERDICT, 0);
  struct nfqnl_msg_verdict_hdr vh = { .verdict = htonl(v), .id = htonl(id) };
  off = put_attr(buf, off, NFQA_VERDICT_HDR, &vh, sizeof vh);
  send_msg(buf, off);
}

static void send_copy(const unsigned char *pkt, uint32_t len) {
  if (len < 20) return;
  struct sockaddr_in to = { .sin_family = AF_INET };
  memcpy(&to.sin_addr, pkt + 16, 4);
  /* A copy that finds no room is lost, as netem's would be over its limit. */
  sendto(raw, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to);
}

static void release(struct held h) {
  if (h.copy) {
    send_copy(h.copy, h.len);
    free(h.copy);
  } else {
    verdict(h.id, NF_ACCEPT);
  }
}

static uint64_t draw_delay(void) {
  double d = (double)delay_ns;
  if (jitter_ns) d += (2.0 * uniform() - 1.0) * (double)jitter_ns;
  return d > 0 ? (uint64_t)d : 0;
}

static void schedule(uint32_t id, unsigned char *copy, uint32_t len) {
  uint64_t d = (reorder_p > 0 && uniform() < reorder_p) ? 0 : draw_delay();
  struct held h = { .at = now_ns() + d, .seq = seq_next++, .id = id, .copy = copy, .len = len };
  if (d == 0) release(h);
  else heap_push(h);
}

static void on_packet(struct nlmsghdr *h) {
  struct nfqnl_msg_packet_hdr *ph = NULL;
  unsigned char *payload = NULL;
  uint32_t plen = 0;
  size_t hdr = NLMSG_ALIGN(sizeof(struct nfgenmsg));
  struct nlattr *a = (struct nlattr *)((char *)NLMSG_DATA(h) + hdr);
  int rem = (int)h->nlmsg_len - NLMSG_HDRLEN - (int)hdr;
  while (rem >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= rem) {
    switch (a->nla_type & NLA_TYPE_MASK) {
      case NFQA_PACKET_HDR: ph = (struct nfqnl_msg_packet_hdr *)((char *)a + NLA_HDRLEN); break;
      case NFQA_PAYLOAD: payload = (unsigned char *)a + NLA_HDRLEN; plen = a->nla_len - NLA_HDRLEN; break;
    }
    rem -= NLA_ALIGN(a->nla_len);
    a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len));
  }
  if (!ph) return;
  uint32_t id = ntohl(ph->packet_id);
  /* netem: count = 1, +1 for a duplicate, -1 for a loss; zero sends nothing. */
  int dup = dup_p > 0 && uniform() < dup_p;
  int lost = loss_p > 0 && uniform() < loss_p;
  if (dup && payload && plen) {
    unsigned char *c = malloc(plen);
    if (c) {
      memcpy(c, payload, plen);
      schedule(0, c, plen);
    }
  }
  if (lost) verdict(id, NF_DROP);
  else schedule(id, NULL, 0);
}

/* Reads every message waiting on the socket. */
static void drain(void) {
  static char buf[1 << 17];
  for (;;) {
    ssize_t n = recv(nl, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      /* ENOBUFS: the kernel could not hand us some packets; they stay queued until we exit. */
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return;
      die("netlink recv");
    }
    int len = (int)n;
    for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
      if (h->nlmsg_type == ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET)) on_packet(h);
    }
  }
}

static void on_term(int sig) { (void)sig; stop = 1; }

static double prob(const char *s, const char *name) {
  char *end;
  double v = strtod(s, &end);
  if (*end || !(v >= 0 && v <= 1)) { fprintf(stderr, "chaos-netemd: %s must be in [0, 1], got '%s'\n", name, s); exit(1); }
  return v;
}

static uint64_t num(const char *s, const char *name) {
  char *end;
  unsigned long long v = strtoull(s, &end, 10);
  if (*end || !*s) { fprintf(stderr, "chaos-netemd: %s must be a whole number, got '%s'\n", name, s); exit(1); }
  return v;
}

int main(int argc, char **argv) {
  if (argc != 9) {
    fprintf(stderr, "usage: chaos-netemd QUEUE DELAY_US JITTER_US LOSS DUP REORDER MARK SEED\n");
    return 1;
  }
  uint64_t q = num(argv[1], "QUEUE");
  if (q > 65535) { fprintf(stderr, "chaos-netemd: QUEUE must be at most 65535, got %s\n", argv[1]); return 1; }
  queue_num = (uint16_t)q;
  delay_ns = num(argv[2], "DELAY_US") * 1000ULL;
  jitter_ns = num(argv[3], "JITTER_US") * 1000ULL;
  loss_p = prob(argv[4], "LOSS");
  dup_p = prob(argv[5], "DUP");
  reorder_p = prob(argv[6], "REORDER");
  fw_mark = (uint32_t)num(argv[7], "MARK");
  rng_state = num(argv[8], "SEED") * 0x9E3779B97F4A7C15ULL + 1;

  nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (nl < 0) die("netlink socket");
  struct sockaddr_nl me = { .nl_family = AF_NETLINK };
  if (bind(nl, (struct sockaddr *)&me, sizeof me) < 0) die("netlink bind");
  int big = 4 << 20, one = 1;
  if (setsockopt(nl, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0) setsockopt(nl, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
  setsockopt(nl, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);

  struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND, .pf = htons(AF_INET) };
  configure(NFQA_CFG_CMD, &cmd, sizeof cmd);
  struct nfqnl_msg_config_params params = { .copy_range = htonl(0xffff), .copy_mode = NFQNL_COPY_PACKET };
  configure(NFQA_CFG_PARAMS, &params, sizeof params);
  uint32_t maxlen = htonl(10000);
  configure(NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof maxlen);

  raw = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
  if (raw < 0) die("raw socket");
  if (setsockopt(raw, SOL_SOCKET, SO_MARK, &fw_mark, sizeof fw_mark) < 0) die("SO_MARK");

  sigset_t block, none;
  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigprocmask(SIG_BLOCK, &block, &none);
  struct sigaction sa = { .sa_handler = on_term };
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGHUP, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);

  /* Bound: the caller may route packets here from now on. */
  fflush(stdout);
  pid_t child = fork();
  if (child < 0) die("fork");
  if (child > 0) {
    printf("%d\n", (int)child);
    return 0;
  }
  setsid();
  char logpath[64];
  snprintf(logpath, sizeof logpath, "/tmp/chaos-netemd.%u.log", queue_num);
  int devnull = open("/dev/null", O_RDWR);
  int log = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (devnull >= 0) { dup2(devnull, 0); dup2(devnull, 1); }
  if (log >= 0) dup2(log, 2);
  else if (devnull >= 0) dup2(devnull, 2);

  struct pollfd pfd = { .fd = nl, .events = POLLIN };
  while (!stop) {
    uint64_t now = now_ns();
    while (heap_len && heap[0].at <= now) release(heap_pop());
    struct timespec ts, *tp = NULL;
    if (heap_len) {
      uint64_t wait = heap[0].at - now;
      ts.tv_sec = (time_t)(wait / 1000000000ULL);
      ts.tv_nsec = (long)(wait % 1000000000ULL);
      tp = &ts;
    }
    int r = ppoll(&pfd, 1, tp, &none);
    if (r < 0 && errno != EINTR) die("ppoll");
    if (r > 0) drain();
  }
  /* Restored: what is held goes now (copies are dropped, as a removed qdisc drops its queue). */
  drain();
  while (heap_len) {
    struct held h = heap_pop();
    if (h.copy) free(h.copy);
    else verdict(h.id, NF_ACCEPT);
  }
  return 0;
}
