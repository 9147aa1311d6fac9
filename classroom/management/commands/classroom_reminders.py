from classroom.services.reminders import reminders_tick
from core.ticks import tick_command

Command = tick_command(
    reminders_tick,
    seconds_setting="CLASSROOM_REMINDER_SECONDS",
    help="Remind invitees of the classes that start within a day (once each); --loop to keep running.",
)
