// Reads one iCalendar object from stdin with Mozilla's ical.js and prints what it understood as JSON:
// METHOD, and for each VEVENT its UID, SEQUENCE, STATUS, DTSTART, DTEND (with isDate, the zone and the instant),
// LAST-MODIFIED, attendee and CN.
// A file ical.js cannot parse makes this script exit non-zero with the parser's message.
import ICAL from "ical.js";

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on("data", (chunk) => chunks.push(chunk));
    process.stdin.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    process.stdin.on("error", reject);
  });
}

// A date, or a date-time with the instant it names in UTC when ical.js knows it: a UTC time, or a local time
// whose TZID it found defined by a VTIMEZONE in the file (zone is then that TZID).
function time(value) {
  if (!value) {
    return null;
  }
  const utc = value.zone === ICAL.Timezone.utcTimezone;
  const zone = !value.isDate && !utc && value.zone && value.zone.component ? value.zone.tzid : null;
  const known = !value.isDate && (utc || zone !== null);
  return {
    value: value.toString(),
    isDate: value.isDate,
    utc,
    zone,
    instant: known ? value.convertToZone(ICAL.Timezone.utcTimezone).toString() : null,
  };
}

function attendee(vevent) {
  const property = vevent.getFirstProperty("attendee");
  if (!property) {
    return null;
  }
  return { value: property.getFirstValue(), cn: property.getParameter("cn") ?? null };
}

function event(vevent) {
  return {
    uid: vevent.getFirstPropertyValue("uid"),
    sequence: vevent.getFirstPropertyValue("sequence"),
    status: vevent.getFirstPropertyValue("status"),
    summary: vevent.getFirstPropertyValue("summary"),
    dtstamp: time(vevent.getFirstPropertyValue("dtstamp")),
    dtstart: time(vevent.getFirstPropertyValue("dtstart")),
    dtend: time(vevent.getFirstPropertyValue("dtend")),
    lastModified: time(vevent.getFirstPropertyValue("last-modified")),
    attendee: attendee(vevent),
    alarms: vevent.getAllSubcomponents("valarm").length,
  };
}

const calendar = new ICAL.Component(ICAL.parse(await readStdin()));
const result = {
  method: calendar.getFirstPropertyValue("method"),
  version: calendar.getFirstPropertyValue("version"),
  name: calendar.getFirstPropertyValue("x-wr-calname"),
  events: calendar.getAllSubcomponents("vevent").map(event),
};
process.stdout.write(JSON.stringify(result) + "\n");
