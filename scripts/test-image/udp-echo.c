/* A UDP echo server for the e2e test image (busybox has none): every datagram received on the
 * port given as the only argument goes back to its sender, prefixed by this host's name, so a
 * test can tell which task answered. Built static by scripts/docker-engine.sh. */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: udp-echo PORT\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) {
    perror("socket");
    return 1;
  }
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  addr.sin_port = htons((unsigned short)atoi(argv[1]));
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    perror("bind");
    return 1;
  }
  char host[64] = "";
  gethostname(host, sizeof host - 1);
  size_t prefix = strlen(host);
  char buf[65536];
  memcpy(buf, host, prefix);
  buf[prefix++] = ' ';
  for (;;) {
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    ssize_t n = recvfrom(fd, buf + prefix, sizeof buf - prefix, 0, (struct sockaddr *)&peer, &len);
    if (n < 0) continue;
    sendto(fd, buf, prefix + (size_t)n, 0, (struct sockaddr *)&peer, len);
  }
}
