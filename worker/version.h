/* version.h — the program's version, recorded in every result file. */
#ifndef RS_VERSION_H
#define RS_VERSION_H
#define RS_VERSION "0.1.0"
#endif
