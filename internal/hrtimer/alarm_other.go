//go:build !linux

package hrtimer

import "errors"

func newAlarmClock(int64) (alarmClock, error) {
	return nil, errors.New("hrtimer: no timer files on this system")
}
