#!/bin/sh
# sourced by dracut's init: there is no root file system to wait for
root=vfpttest
rootok=1
