// Reads one iCalendar object from stdin with Mozilla's ical.js and prints what it understood as JSON:
// METHOD, and for each VEVENT its UID, SEQUENCE, STATUS, DTSTART, DTEND (with isDate), LAST-MODIFIED, attendee
// and CN.
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

function time(value) {
  if (!value) {
    return null;
  }
  return { value: value.toString(), isDate: value.isDate, utc: value.zone === ICAL.Timezone.utcTimezone };
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
